// Preloaded into the Playground (node --require): it listens on every network interface, and
// a test client has no business beyond this machine. Binds its servers to 127.0.0.1 instead.
"use strict";
const net = require("net");

const LOOPBACK = "127.0.0.1";
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const [first, second] = args;
  if (typeof first === "number" && (args.length === 1 || typeof second === "function")) {
    args.splice(1, 0, LOOPBACK);
  } else if (first && typeof first === "object" && first.port !== undefined && !first.host && !first.path) {
    args[0] = { ...first, host: LOOPBACK };
  }
  return listen.apply(this, args);
};
