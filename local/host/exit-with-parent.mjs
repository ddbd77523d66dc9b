// Loaded into every function process (node --import) by the function host: when the host is gone,
// killed without the chance to stop its functions, the IPC channel it opened closes and the function
// process ends too, instead of living on as an orphan holding its port.
if (typeof process.send === 'function') {
  process.on('disconnect', () => {
    process.exit(0);
  });
}
