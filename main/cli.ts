// The `loopgate` command line (placeholder until the engine lands).
console.log('loopgate: not yet');
