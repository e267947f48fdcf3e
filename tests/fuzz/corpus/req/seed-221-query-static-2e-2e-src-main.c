GET /static/%2e%2e/src/main.c HTTP/1.1
Host: 127.0.0.1:8080

