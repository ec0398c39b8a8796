/* layer: placeholder until the module lands */
