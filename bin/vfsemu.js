#!/usr/bin/env node
// The `vfsemu` command: the compiled CLI (npm install builds dist/ through the prepare script).
import '../dist/cli/main.js';
