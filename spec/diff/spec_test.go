package diff

import (
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/openihsm/openihsm/spec/model"
)

// realSpec returns a copy of the spec under spec/, loaded from disk once;
// spec/model's TestSpecLints fails when it is missing or broken, so this
// only skips.
func realSpec(t *testing.T) *model.Spec {
	t.Helper()
	dir := filepath.Join("..")
	if _, err := os.Stat(filepath.Join(dir, "spec.yaml")); err != nil {
		t.Skip("spec/spec.yaml is missing")
	}
	s, err := loadedReal()
	if err != nil {
		t.Fatal(err)
	}
	return deepCopy(reflect.ValueOf(s)).Interface().(*model.Spec)
}

var loadedReal = sync.OnceValues(func() (*model.Spec, error) {
	sc, err := realSchemas()
	if err != nil {
		return nil, err
	}
	return sc.Load(os.DirFS(".."))
})

// deepCopy copies a value of the model: every struct, slice, map and
// pointer anew, so a case edits its own spec. Unexported fields (a
// position's YAML node) are kept as they are: nothing edits them.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(deepCopy(v.Elem()))
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := 0; i < v.NumField(); i++ {
			if c.Field(i).CanSet() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return c
	}
	return v
}

// realSchemas compiles the spec's schemas once for every case.
var realSchemas = sync.OnceValues(func() (*model.Schemas, error) {
	return model.CompileSchemas(os.DirFS(filepath.Join("..", "schema")))
})

// TestDiffSpec classifies edits to copies of the real spec.
func TestDiffSpec(t *testing.T) {
	testDiffCases(t, realSpec)
}
