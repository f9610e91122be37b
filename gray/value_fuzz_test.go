package gray_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/graykit/graykit/gray"
)

// FuzzJSONValue holds JSONValue to encoding/json: what it accepts decodes
// to the same tree as json.Unmarshal gives, and its JSON encoding reads
// back as an equal value. What it refuses is a *ConfigError. The seeds run
// in every test run.
func FuzzJSONValue(f *testing.F) {
	for _, seed := range []string{
		`null`, `true`, `-0`, `1e308`, `1e400`, `9223372036854775808`, `"\u00e9\ud83d\ude00"`, `"\ud800"`,
		`{"a":[1,{"b":null}],"c":"<&>"}`, `{"a":1,"a":2}`, `[[[]]]`, `01`, "\"\xff\"", `{"":""}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := gray.JSONValue(data)
		if err != nil {
			var ce *gray.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *ConfigError", err, err)
			}
			return
		}
		var want any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("JSONValue accepted what encoding/json refuses (%v): %q", err, data)
		}
		if got := v.Any(); !reflect.DeepEqual(got, want) {
			t.Fatalf("Any() = %#v, encoding/json reads %#v", got, want)
		}
		again, err := gray.JSONValue([]byte(v.JSON()))
		if err != nil || !again.Equal(v) || again.JSON() != v.JSON() {
			t.Fatalf("%s does not read back: %v, %v", v.JSON(), again, err)
		}
	})
}
