// Kiln test guest: a JavaScript wasi:http component (componentize-js /
// StarlingMonkey). The `fetch` event is wired to the exported
// wasi:http/incoming-handler automatically because the target world exports it.
//
// * GET /hello -> 200 "Hello from JS!" (text/plain)
// * anything else -> 404 "not found: <path>"

addEventListener("fetch", (event) => event.respondWith(handle(event.request)));

async function handle(request) {
  const path = new URL(request.url).pathname;
  console.log(`js-http handled ${path}`);
  if (request.method === "GET" && path === "/hello") {
    return new Response("Hello from JS!", {
      status: 200,
      headers: { "content-type": "text/plain" },
    });
  }
  return new Response(`not found: ${path}`, {
    status: 404,
    headers: { "content-type": "text/plain" },
  });
}
