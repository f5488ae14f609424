// Smoke test of aws-sdk-go-v2's sfn client against a statewise server, unchanged but for
// the endpoint.
//
// Reads STATEWISE_ENDPOINT (http://127.0.0.1:PORT), the credentials from AWS_ACCESS_KEY_ID
// and AWS_SECRET_ACCESS_KEY and NAME_PREFIX for unique resource names; prints one JSON
// summary on stdout. tests/sdk/test_go_sdk.py builds and runs it and asserts on the summary.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const role = "arn:aws:iam::123456789012:role/statewise"

const definition = `{"StartAt": "Greet", "States": {"Greet": {"Type": "Pass",
  "Parameters": {"message.$": "States.Format('Hello, {}!', $.name)"}, "End": true}}}`

type missing struct {
	Typed   bool   `json:"typed"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type summary struct {
	StateMachineArn string          `json:"stateMachineArn"`
	ExecutionArn    string          `json:"executionArn"`
	Status          string          `json:"status"`
	Output          json.RawMessage `json:"output"`
	HistoryTypes    []string        `json:"historyTypes"`
	SyncStatus      string          `json:"syncStatus"`
	SyncOutput      json.RawMessage `json:"syncOutput"`
	Missing         *missing        `json:"missing"`
	HostWithPrefix  string          `json:"hostWithPrefix"`
}

func client(endpoint string, immutable bool) *sfn.Client {
	return sfn.New(sfn.Options{
		Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(
			os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
		// StartSyncExecution is modelled with the host prefix "sync-", which would send it to
		// sync-127.0.0.1; an immutable host name keeps the endpoint's host as it is.
		EndpointResolver: sfn.EndpointResolverFromURL(endpoint, func(e *aws.Endpoint) {
			e.HostnameImmutable = immutable
		}),
	})
}

var errProbe = errors.New("probe: not sent")

// hostWithPrefix finds the host a StartSyncExecution goes to without an immutable host name,
// with no network: a finalize step records the request's host and stops it there.
func hostWithPrefix(ctx context.Context, endpoint string) (string, error) {
	seen := ""
	record := middleware.FinalizeMiddlewareFunc("recordHost",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
			middleware.FinalizeOutput, middleware.Metadata, error,
		) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				seen = req.URL.Host
			}
			return middleware.FinalizeOutput{}, middleware.Metadata{}, errProbe
		})
	_, err := client(endpoint, false).StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{
		StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:x"),
	}, func(o *sfn.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Finalize.Add(record, middleware.After)
		})
	})
	if !errors.Is(err, errProbe) {
		return "", fmt.Errorf("probe: %w", err)
	}
	return seen, nil
}

func run(ctx context.Context) (*summary, error) {
	endpoint := os.Getenv("STATEWISE_ENDPOINT")
	if endpoint == "" {
		return nil, errors.New("STATEWISE_ENDPOINT is not set")
	}
	prefix := os.Getenv("NAME_PREFIX")
	if prefix == "" {
		prefix = fmt.Sprintf("go-%d", time.Now().UnixNano())
	}
	api := client(endpoint, true)
	out := &summary{}

	standard, err := api.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(prefix + "-std"), Definition: aws.String(definition),
		RoleArn: aws.String(role),
	})
	if err != nil {
		return nil, fmt.Errorf("CreateStateMachine: %w", err)
	}
	out.StateMachineArn = aws.ToString(standard.StateMachineArn)

	started, err := api.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: standard.StateMachineArn, Input: aws.String(`{"name": "Ada"}`),
	})
	if err != nil {
		return nil, fmt.Errorf("StartExecution: %w", err)
	}
	out.ExecutionArn = aws.ToString(started.ExecutionArn)

	var described *sfn.DescribeExecutionOutput
	for i := 0; i < 200; i++ {
		described, err = api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{
			ExecutionArn: started.ExecutionArn,
		})
		if err != nil {
			return nil, fmt.Errorf("DescribeExecution: %w", err)
		}
		if described.Status != types.ExecutionStatusRunning {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	out.Status = string(described.Status)
	out.Output = json.RawMessage(aws.ToString(described.Output))

	history, err := api.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{
		ExecutionArn: started.ExecutionArn,
	})
	if err != nil {
		return nil, fmt.Errorf("GetExecutionHistory: %w", err)
	}
	for _, event := range history.Events {
		out.HistoryTypes = append(out.HistoryTypes, string(event.Type))
	}

	express, err := api.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(prefix + "-express"), Definition: aws.String(definition),
		RoleArn: aws.String(role), Type: types.StateMachineTypeExpress,
	})
	if err != nil {
		return nil, fmt.Errorf("CreateStateMachine EXPRESS: %w", err)
	}
	sync, err := api.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{
		StateMachineArn: express.StateMachineArn, Input: aws.String(`{"name": "Grace"}`),
	})
	if err != nil {
		return nil, fmt.Errorf("StartSyncExecution: %w", err)
	}
	out.SyncStatus = string(sync.Status)
	out.SyncOutput = json.RawMessage(aws.ToString(sync.Output))

	missingArn := strings.Replace(out.StateMachineArn, ":stateMachine:", ":execution:", 1) +
		":no-such-execution"
	_, err = api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{
		ExecutionArn: aws.String(missingArn),
	})
	if err != nil {
		// The SDK maps the wire's __type to its typed error.
		var notFound *types.ExecutionDoesNotExist
		var apiErr smithy.APIError
		found := &missing{Typed: errors.As(err, &notFound)}
		if errors.As(err, &apiErr) {
			found.Code, found.Message = apiErr.ErrorCode(), apiErr.ErrorMessage()
		}
		out.Missing = found
	}

	if out.HostWithPrefix, err = hostWithPrefix(ctx, endpoint); err != nil {
		return nil, err
	}
	return out, nil
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := run(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
