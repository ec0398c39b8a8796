/* inode: placeholder until the module lands */
