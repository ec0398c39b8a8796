/* gate: placeholder until the module lands */
