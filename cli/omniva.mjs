#!/usr/bin/env node
// Entry for the `omniva` command: runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
