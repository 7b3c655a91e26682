// A wasi:http handler: componentize-js wires the `fetch` event to the
// component's exported wasi:http/incoming-handler.
addEventListener("fetch", (event) => event.respondWith(handle(event.request)));

async function handle(request) {
  console.log(`${request.method} ${new URL(request.url).pathname}`);
  return new Response("Hello from JavaScript!\n", {
    status: 200,
    headers: { "content-type": "text/plain" },
  });
}
