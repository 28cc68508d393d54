package httpfn

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// Event is what the event source said about a request beyond HTTP. [FromContext] returns it
// from the context of the request a handler serves.
type Event struct {
	// Source is the source that sent the request.
	Source Source
	// RequestID is the source's id for the request: requestContext.requestId of a function
	// URL or API Gateway. An Application Load Balancer has none (its X-Amzn-Trace-Id header
	// identifies the request).
	RequestID string
	// Raw is the event as aws-lambda-go's events package types it:
	// *events.LambdaFunctionURLRequest, *events.APIGatewayV2HTTPRequest,
	// *events.APIGatewayProxyRequest or *events.ALBTargetGroupRequest. Its body is the
	// payload's, as the request's body is decoded from it. It is decoded from the payload
	// when first asked for, which must be while the handler serves the request: the Lambda
	// runtime reuses the payload's memory for the next invocation. Raw is nil when asked for
	// later, or when the payload does not decode into the type.
	Raw any
}

type eventContext struct {
	context.Context
	ev *event
}

type eventKey struct{}

func (c *eventContext) Value(key any) any {
	if _, ok := key.(eventKey); ok {
		return c.ev
	}
	return c.Context.Value(key)
}

func (c *eventContext) String() string { return fmt.Sprintf("httpfn.event(%v)", c.ev.source) }

// FromContext returns the event of the request whose context ctx is (or derives from), and
// false for a request that did not come through a handler of this package (such as one
// served by net/http). The invocation's lambdacontext.LambdaContext, runtime.Logger and
// deadline are in the same context.
func FromContext(ctx context.Context) (*Event, bool) {
	ev, ok := ctx.Value(eventKey{}).(*event)
	if !ok {
		return nil, false
	}
	return &Event{Source: ev.source, RequestID: ev.requestID, Raw: ev.rawEvent()}, true
}

// Authorizer is what the source's authorizer established about the caller. The fields that
// the source and its authorizer do not set are empty.
type Authorizer struct {
	// Claims are the verified token's claims: an HTTP API's JWT authorizer's, or a REST API's
	// Amazon Cognito user pool authorizer's (values as strings, as API Gateway passes them).
	Claims map[string]string
	// Scopes are the JWT authorizer's scopes (HTTP API).
	Scopes []string
	// Lambda is a Lambda authorizer's context: an HTTP API's requestContext.authorizer.lambda,
	// or a REST API's requestContext.authorizer (with its principalId).
	Lambda map[string]any
	// IAM is the caller's identity under IAM authorization (AWS_IAM) of a function URL, an
	// HTTP API or a REST API, including the Amazon Cognito identity it came from, if any.
	IAM *IAMIdentity
}

// IAMIdentity is an IAM caller as API Gateway and function URLs describe it.
type IAMIdentity struct {
	AccessKey      string
	AccountID      string
	CallerID       string
	UserARN        string
	UserID         string
	PrincipalOrgID string
	// CognitoIdentityID and CognitoIdentityPoolID are set when the credentials came from an
	// Amazon Cognito identity pool.
	CognitoIdentityID     string
	CognitoIdentityPoolID string
	// CognitoAMR is the identity's authentication methods references (HTTP API).
	CognitoAMR []string
}

// Authorizer returns what the source's authorizer established about the caller.
func (e *Event) Authorizer() Authorizer {
	var a Authorizer
	switch raw := e.Raw.(type) {
	case *events.APIGatewayV2HTTPRequest:
		az := raw.RequestContext.Authorizer
		if az == nil {
			return a
		}
		if az.JWT != nil {
			a.Claims, a.Scopes = az.JWT.Claims, az.JWT.Scopes
		}
		a.Lambda = az.Lambda
		if i := az.IAM; i != nil {
			a.IAM = &IAMIdentity{
				AccessKey: i.AccessKey, AccountID: i.AccountID, CallerID: i.CallerID,
				UserARN: i.UserARN, UserID: i.UserID, PrincipalOrgID: i.PrincipalOrgID,
				CognitoIdentityID: i.CognitoIdentity.IdentityID, CognitoIdentityPoolID: i.CognitoIdentity.IdentityPoolID,
				CognitoAMR: i.CognitoIdentity.AMR,
			}
		}
	case *events.LambdaFunctionURLRequest:
		if az := raw.RequestContext.Authorizer; az != nil && az.IAM != nil {
			i := az.IAM
			a.IAM = &IAMIdentity{AccessKey: i.AccessKey, AccountID: i.AccountID, CallerID: i.CallerID, UserARN: i.UserARN, UserID: i.UserID}
		}
	case *events.APIGatewayProxyRequest:
		rc := &raw.RequestContext
		if c, ok := rc.Authorizer["claims"]; ok {
			// A Cognito user pool authorizer's, or null under an HTTP API's format 1.0.
			claims, _ := c.(map[string]any)
			if claims == nil {
				break
			}
			a.Claims = make(map[string]string, len(claims))
			for k, v := range claims {
				if s, ok := v.(string); ok {
					a.Claims[k] = s
				} else {
					a.Claims[k] = fmt.Sprint(v)
				}
			}
		} else if len(rc.Authorizer) > 0 {
			a.Lambda = rc.Authorizer
		}
		if id := &rc.Identity; id.AccessKey != "" || id.UserArn != "" {
			a.IAM = &IAMIdentity{
				AccessKey: id.AccessKey, AccountID: id.AccountID, CallerID: id.Caller,
				UserARN: id.UserArn, UserID: id.User,
				CognitoIdentityID: id.CognitoIdentityID, CognitoIdentityPoolID: id.CognitoIdentityPoolID,
			}
		}
	}
	return a
}
