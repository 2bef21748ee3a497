// Command hello is the smallest program the build tests build twice.
package main

import "fmt"

func main() { fmt.Println("hello") }
