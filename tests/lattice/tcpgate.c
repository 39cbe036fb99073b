/* tcpgate.c - a TCP forwarder the fleet test kills to cut a link.
 * SPDX-License-Identifier: Apache-2.0
 *
 *   tcpgate PORT TARGET_PORT   forward 127.0.0.1:PORT to 127.0.0.1:TARGET_PORT
 *                              until killed (kill -9 cuts every connection
 *                              at once: a partition); start it again on the
 *                              same PORT to heal
 *   tcpgate --free-ports N     print N free loopback TCP ports
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXC 64

static int listen_on(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(fd, 16) != 0)
        return -1;
    return fd;
}

static int free_ports(int n)
{
    int fds[64];

    if (n < 1 || n > 64)
        return 2;
    for (int i = 0; i < n; i++) {
        struct sockaddr_in a;
        socklen_t len = sizeof a;

        if ((fds[i] = listen_on(0)) < 0 ||
            getsockname(fds[i], (struct sockaddr *)&a, &len) != 0)
            return 1;
        printf("%d\n", ntohs(a.sin_port));
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
    return 0;
}

int main(int argc, char **argv)
{
    struct pollfd p[1 + 2 * MAXC];
    int pair[2 * MAXC], n = 0, lfd, target;

    if (argc == 3 && strcmp(argv[1], "--free-ports") == 0)
        return free_ports(atoi(argv[2]));
    if (argc != 3) {
        fprintf(stderr, "usage: tcpgate PORT TARGET_PORT | --free-ports N\n");
        return 2;
    }
    target = atoi(argv[2]);
    if ((lfd = listen_on(atoi(argv[1]))) < 0) {
        perror("tcpgate: listen");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        p[0].fd = lfd;
        p[0].events = POLLIN;
        for (int i = 0; i < n; i++) {
            p[1 + i].fd = pair[i];
            p[1 + i].events = POLLIN;
        }
        if (poll(p, (nfds_t)(1 + n), -1) < 0 && errno != EINTR)
            return 1;
        if ((p[0].revents & POLLIN) && n + 2 <= 2 * MAXC) {
            struct sockaddr_in a = {.sin_family = AF_INET,
                                    .sin_port = htons((uint16_t)target),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
            int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            int u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

            if (c >= 0 && u >= 0 &&
                connect(u, (struct sockaddr *)&a, sizeof a) == 0) {
                pair[n++] = c;
                pair[n++] = u;
            } else {
                if (c >= 0)
                    close(c);
                if (u >= 0)
                    close(u);
            }
            continue; /* the pollfd array changed */
        }
        for (int i = 0; i < n; i++) {
            char buf[65536];
            ssize_t r;

            if (!(p[1 + i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            r = read(pair[i], buf, sizeof buf);
            /* Pairs are (client, upstream) at even/odd indexes. */
            if (r <= 0 || write(pair[i ^ 1], buf, (size_t)r) != r) {
                int base = i & ~1;

                close(pair[base]);
                close(pair[base + 1]);
                pair[base] = pair[n - 2];
                pair[base + 1] = pair[n - 1];
                n -= 2;
                break; /* indexes moved */
            }
        }
    }
}
