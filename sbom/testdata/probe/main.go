// Command probe is a small Go program that links a few third-party modules;
// the sbom tests build it so that they derive a document from a real binary
// with real module dependencies.
package main

import (
	"fmt"

	"github.com/spdx/tools-golang/spdx/v2/common"
	"google.golang.org/protobuf/types/known/structpb"
)

func main() {
	v := structpb.NewStringValue(string(common.SHA256))
	fmt.Println(v.GetStringValue())
}
