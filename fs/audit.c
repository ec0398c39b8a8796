/* audit: placeholder until the module lands */
