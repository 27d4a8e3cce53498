// Package packaging holds tests that check the repository's Dockerfile, docker-compose.yml and CI script statically.
package packaging
