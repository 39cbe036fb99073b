(module quote
    "(func (block $l (i32.const 0) (br_table 0$l)))"
  )