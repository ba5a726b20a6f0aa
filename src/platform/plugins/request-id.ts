// Every answer carries its request id (taken from a valid incoming X-Request-Id, or made by
// genReqId in app.ts), so a caller can quote it and an operator find the log line.
import fp from "fastify-plugin";

export default fp(async (app) => {
  app.addHook("onSend", (request, reply, payload, done) => {
    reply.header("x-request-id", request.id);
    done(null, payload);
  });
});
