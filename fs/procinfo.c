/* procinfo: placeholder until the module lands */
