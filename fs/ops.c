/* ops: placeholder until the module lands */
