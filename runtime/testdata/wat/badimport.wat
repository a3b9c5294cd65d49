;; Imports a host call that ABI v1 does not have: Load must refuse it.
(module
  (import "ossflow" "teleport" (func $teleport (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "ossflow_handle") (param i32) (result i32)
    (call $teleport (local.get 0))))
