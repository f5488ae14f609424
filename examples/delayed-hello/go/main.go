// The Go half of delayed-hello: a provided.al2023 bootstrap that signs the greeting.
//
// It speaks the Lambda Runtime API with Go's standard library alone, so it builds offline;
// a handler written with github.com/aws/aws-lambda-go (lambda.Start) runs the same way.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

type event struct {
	Greeting string `json:"greeting"`
	Name     string `json:"name"`
}

type result struct {
	Message  string `json:"message"`
	SignedAt string `json:"signedAt"`
	Runtime  string `json:"runtime"`
}

func handle(in event) (result, error) {
	if in.Greeting == "" {
		return result{}, fmt.Errorf("nothing to sign for %q", in.Name)
	}
	return result{
		Message:  strings.TrimSuffix(in.Greeting, "!") + ", from Go!",
		SignedAt: time.Now().UTC().Format(time.RFC3339),
		Runtime:  os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
	}, nil
}

func post(url string, body []byte, errorType string) {
	request, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	request.Header.Set("Content-Type", "application/json")
	if errorType != "" {
		request.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
	}
	if response, err := http.DefaultClient.Do(request); err == nil {
		response.Body.Close()
	}
}

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		response, err := http.Get(api + "next")
		if err != nil {
			os.Exit(1)
		}
		payload, _ := io.ReadAll(response.Body)
		response.Body.Close()
		id := response.Header.Get("Lambda-Runtime-Aws-Request-Id")
		var in event
		json.Unmarshal(payload, &in)
		fmt.Printf("signing for %s\n", in.Name)
		out, err := handle(in)
		if err != nil {
			body, _ := json.Marshal(map[string]string{
				"errorMessage": err.Error(), "errorType": "SigningError"})
			post(api+id+"/error", body, "SigningError")
			continue
		}
		body, _ := json.Marshal(out)
		post(api+id+"/response", body, "")
	}
}
