// Smoke test of @aws-sdk/client-sfn against a statewise server, unchanged but for the endpoint.
//
// Reads STATEWISE_ENDPOINT (http://127.0.0.1:PORT), the credentials from AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY and a NAME_PREFIX for unique resource names; prints one JSON summary
// on stdout. tests/sdk/test_js_sdk.py runs it and asserts on the summary.

import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from "@aws-sdk/client-sfn";

const endpoint = process.env.STATEWISE_ENDPOINT;
if (!endpoint) {
  console.error("STATEWISE_ENDPOINT is not set");
  process.exit(2);
}
const prefix = process.env.NAME_PREFIX || `js-${Date.now()}`;
const role = "arn:aws:iam::123456789012:role/statewise";
const credentials = {
  accessKeyId: process.env.AWS_ACCESS_KEY_ID,
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
};

// StartSyncExecution is modelled with the host prefix "sync-": the SDK would send it to
// sync-127.0.0.1, which no resolver knows. disableHostPrefix keeps the endpoint's host.
const sfn = new SFNClient({ endpoint, region: "us-east-1", credentials, disableHostPrefix: true });

const definition = JSON.stringify({
  StartAt: "Greet",
  States: {
    Greet: {
      Type: "Pass",
      Parameters: { "message.$": "States.Format('Hello, {}!', $.name)" },
      End: true,
    },
  },
});

// What the SDK does without disableHostPrefix, found without any network: a middleware at
// the end of the chain records the host the request would go to and stops it there.
async function hostWithPrefix() {
  const probe = new SFNClient({ endpoint, region: "us-east-1", credentials });
  let seen = null;
  probe.middlewareStack.add(
    () => async (args) => {
      seen = args.request.hostname;
      throw new Error("probe: not sent");
    },
    { step: "finalizeRequest", priority: "low", name: "recordHost" },
  );
  try {
    await probe.send(new StartSyncExecutionCommand({ stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:x" }));
  } catch (err) {
    if (seen === null) throw err;
  }
  return seen;
}

async function main() {
  const summary = {};
  const standard = await sfn.send(
    new CreateStateMachineCommand({ name: `${prefix}-std`, definition, roleArn: role }),
  );
  summary.stateMachineArn = standard.stateMachineArn;

  const started = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: standard.stateMachineArn,
      input: JSON.stringify({ name: "Ada" }),
    }),
  );
  summary.executionArn = started.executionArn;
  summary.startDateIsDate = started.startDate instanceof Date;

  let described;
  for (let i = 0; i < 200; i++) {
    described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    if (described.status !== "RUNNING") break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  summary.status = described.status;
  summary.output = JSON.parse(described.output ?? "null");

  const history = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn: started.executionArn }),
  );
  summary.historyTypes = history.events.map((e) => e.type);

  const express = await sfn.send(
    new CreateStateMachineCommand({
      name: `${prefix}-express`,
      definition,
      roleArn: role,
      type: "EXPRESS",
    }),
  );
  const sync = await sfn.send(
    new StartSyncExecutionCommand({
      stateMachineArn: express.stateMachineArn,
      input: JSON.stringify({ name: "Grace" }),
    }),
  );
  summary.syncStatus = sync.status;
  summary.syncOutput = JSON.parse(sync.output ?? "null");

  const missing = standard.stateMachineArn
    .replace(":stateMachine:", ":execution:")
    .concat(":no-such-execution");
  try {
    await sfn.send(new DescribeExecutionCommand({ executionArn: missing }));
    summary.missing = null;
  } catch (err) {
    // The SDK maps the wire's __type to its typed exception class.
    summary.missing = {
      typed: err instanceof ExecutionDoesNotExist,
      name: err.name,
      httpStatus: err.$metadata?.httpStatusCode,
      message: err.message,
    };
  }

  summary.hostWithPrefix = await hostWithPrefix();
  console.log(JSON.stringify(summary));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
