;; A reactor whose initializer traps: Load must refuse it at deploy time.
(module
  (memory (export "memory") 1)
  (func (export "_initialize") unreachable)
  (func (export "ossflow_handle") (param i32) (result i32) (i32.const 0)))
