/* whiteout: placeholder until the module lands */
