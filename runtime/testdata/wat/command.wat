;; A WASI command (exports _start, no ossflow_handle): Load must refuse it
;; and say how to build a reactor instead.
(module
  (memory (export "memory") 1)
  (func (export "_start")))
