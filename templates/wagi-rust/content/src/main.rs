//! A WAGI handler: the request arrives as CGI environment variables (and the
//! body on stdin); the response is headers, a blank line, then the body, on
//! stdout.

fn main() {
    let path = std::env::var("PATH_INFO").unwrap_or_default();
    eprintln!("handling {path}");
    print!("Content-Type: text/plain\n\nHello from WAGI!\n");
}
