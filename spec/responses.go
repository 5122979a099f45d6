package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pb33f/go-yaml"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// Response is one documented response of an operation, as the mock answers
// it: its code, the examples of its headers, its first media type and that
// media type's examples, all in document order (the first example is the
// default answer). Values are compact JSON with the keys in document order.
type Response struct {
	Code        string // "200", "4XX" or "default"
	Headers     []Example
	ContentType string // "" for a response without content
	Examples    []Example
}

// Example is a named JSON value; the name is "" for a media type's single
// `example`, which comes after its named `examples`.
type Example struct {
	Name  string
	Value json.RawMessage
}

// Responses lists the responses of method on the path template tmpl in
// document order, the default response last; nil when the operation has
// none. libopenapi's model is read because it keeps the document's order.
func (s *Spec) Responses(tmpl, method string) ([]Response, error) {
	model := LibModel(s)
	if model == nil || model.Paths == nil || model.Paths.PathItems == nil {
		return nil, nil
	}
	item, ok := model.Paths.PathItems.Get(tmpl)
	if !ok || item == nil {
		return nil, nil
	}
	op, _ := item.GetOperations().Get(strings.ToLower(method))
	if op == nil || op.Responses == nil {
		return nil, nil
	}
	var out []Response
	add := func(code string, r *v3.Response) error {
		if r == nil {
			return nil
		}
		resp := Response{Code: code}
		if r.Headers != nil {
			for name, h := range r.Headers.FromOldest() {
				if h != nil && h.Example != nil {
					if v, err := nodeJSON(h.Example); err == nil {
						resp.Headers = append(resp.Headers, Example{Name: name, Value: v})
					}
				}
			}
		}
		if r.Content != nil {
			for ct, mt := range r.Content.FromOldest() {
				resp.ContentType = ct
				if mt.Examples != nil {
					for name, ex := range mt.Examples.FromOldest() {
						if ex == nil || ex.Value == nil {
							continue
						}
						v, err := nodeJSON(ex.Value)
						if err != nil {
							return fmt.Errorf("response %s, example %q: %w", code, name, err)
						}
						resp.Examples = append(resp.Examples, Example{Name: name, Value: v})
					}
				}
				if mt.Example != nil {
					v, err := nodeJSON(mt.Example)
					if err != nil {
						return fmt.Errorf("response %s, example: %w", code, err)
					}
					resp.Examples = append(resp.Examples, Example{Value: v})
				}
				break // the first media type is the one the mock speaks
			}
		}
		out = append(out, resp)
		return nil
	}
	if op.Responses.Codes != nil {
		for code, r := range op.Responses.Codes.FromOldest() {
			if err := add(code, r); err != nil {
				return nil, err
			}
		}
	}
	if err := add("default", op.Responses.Default); err != nil {
		return nil, err
	}
	return out, nil
}

// nodeJSON renders a YAML node as compact JSON, keeping the order of keys
// as the document wrote them.
func nodeJSON(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeNode(&buf, n, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeNode(buf *bytes.Buffer, n *yaml.Node, depth int) error {
	if depth > 64 {
		return fmt.Errorf("example nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return nil
		}
		return writeNode(buf, n.Content[0], depth+1)
	case yaml.AliasNode:
		return writeNode(buf, n.Alias, depth+1)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			buf.Write(k)
			buf.WriteByte(':')
			if err := writeNode(buf, n.Content[i+1], depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeNode(buf, c, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(b)
	default:
		return fmt.Errorf("unsupported YAML node kind %v", n.Kind)
	}
	return nil
}
