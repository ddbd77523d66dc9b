// Loaded into every function process (node --import) by the function host: when the host is gone,
// killed without the chance to stop its functions, the IPC channel it opened closes and the function
// process ends too, instead of living on as an orphan holding its port.
if (typeof process.send === 'function') {
  process.on('disconnect', () => {
    process.exit(0);
  });
}

// The host learns which port (and address) this process really listens on: a port it chose may have
// been taken by another process in the moment before this one bound it, and a readiness probe answered
// by that other process must not count as this one's.
// faas-js-runtime binds every interface ('::'); on a workstation only the host's proxy and the local
// broker may reach a function, so the host asks (DRPLAN_LOOPBACK_ONLY=1) for loopback instead.
if (typeof process.send === 'function') {
  const net = await import('node:net');
  const listen = net.Server.prototype.listen;
  const loopbackOnly = process.env.DRPLAN_LOOPBACK_ONLY === '1';
  net.Server.prototype.listen = function (...args) {
    this.once('listening', () => {
      const address = this.address();
      if (address !== null && typeof address === 'object') process.send?.({ listening: address.port, address: address.address });
    });
    const [first] = args;
    if (loopbackOnly && first !== null && typeof first === 'object' && 'port' in first) args[0] = { ...first, host: '127.0.0.1' };
    return listen.apply(this, args);
  };
}
