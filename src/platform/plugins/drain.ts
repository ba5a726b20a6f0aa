// While the server closes, every answer ends its connection. Fastify does so only for requests
// that arrive after close() began; without this, a kept-alive client of a request that was in
// flight would hold close() open until its idle timeout.
import fp from "fastify-plugin";

export default fp(async (app) => {
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (closing) reply.header("connection", "close");
    done(null, payload);
  });
});
