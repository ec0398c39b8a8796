/* index: placeholder until the module lands */
