package cfn

import (
	"fmt"
	"strings"
)

// ExpandSub expands the template string of Fn::Sub: each ${Name} and
// ${Resource.Attribute} is replaced by fmt.Sprint of what lookup returns,
// and ${!Literal} is written as ${Literal} (AWS CloudFormation User Guide,
// "Fn::Sub").
func ExpandSub(tmpl string, lookup func(name string) (any, error)) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			b.WriteString(tmpl)
			return b.String(), nil
		}
		j := strings.Index(tmpl[i:], "}")
		if j < 0 {
			return "", fmt.Errorf("Fn::Sub: unclosed ${ in %q", tmpl)
		}
		b.WriteString(tmpl[:i])
		name := tmpl[i+2 : i+j]
		tmpl = tmpl[i+j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		v, err := lookup(name)
		if err != nil {
			return "", err
		}
		b.WriteString(fmt.Sprint(v))
	}
}
