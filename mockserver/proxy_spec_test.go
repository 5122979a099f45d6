package mockserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flashback/revoke-contract/mockserver"
	"github.com/flashback/revoke-contract/spec"
	"github.com/flashback/revoke-contract/spec/endpoint"
)

func TestProxyLogsWhenTheValidatorsDisagree(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(string(spec.OpenAPI), "        message:\n          type: string\n          description: Success message\n",
		"        message:\n          type: string\n          description: Success message\n        revokedAt:\n          type: string\n          format: date-time\n          description: When\n", 1)
	sp, err := spec.Load("with-format.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true,"message":"ok","revokedAt":"yesterday"}`))
	}))
	defer upstream.Close()
	proxy, logs := proxyFor(t, upstream.URL, func(o *mockserver.ProxyOptions) { o.Spec = sp })
	got := call(t, http.MethodPost, proxy+endpoint.Path, bearer("my-dev-token"), nil)
	// kin-openapi checks the date-time format, libopenapi-validator does not:
	// the violation is kin-openapi's, and the disagreement is logged.
	vs := violationsOf(t, got)
	if len(vs) != 1 || strings.Join(vs[0].Location, ".") != "response.body.revokedAt" || !strings.Contains(vs[0].Message, "date-time") || !strings.HasSuffix(vs[0].Message, "[kin-openapi]") {
		t.Errorf("want kin-openapi's violation at response.body.revokedAt; got %+v", vs)
	}
	if !strings.Contains(logs.String(), `msg="the validators disagree"`) || !strings.Contains(logs.String(), "libopenapi-validator=null") {
		t.Errorf("the disagreement was not logged:\n%s", logs)
	}
}

func TestProxyReportsARequestViolationAndStillForwards(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(string(spec.OpenAPI), "      security:\n        - BearerAuth: []\n",
		"      security:\n        - BearerAuth: []\n      parameters:\n        - name: device\n          in: query\n          schema:\n            type: integer\n", 1)
	sp, err := spec.Load("with-param.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true,"message":"ok"}`))
	}))
	defer upstream.Close()
	proxy, _ := proxyFor(t, upstream.URL, func(o *mockserver.ProxyOptions) { o.Spec = sp })
	got := call(t, http.MethodPost, proxy+endpoint.Path+"?device=phone", bearer("my-dev-token"), nil)
	if q := <-seen; q != "device=phone" || got.status != 200 {
		t.Errorf("the upstream saw %q, the client got %d: want the request forwarded as sent and the upstream's 200", q, got.status)
	}
	vs := violationsOf(t, got)
	if len(vs) == 0 || vs[0].Source != "request" || !strings.Contains(strings.Join(vs[0].Location, "."), "device") {
		t.Errorf("want a request violation naming device; got %+v", vs)
	}
}
