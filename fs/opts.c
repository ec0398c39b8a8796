/* opts: placeholder until the module lands */
