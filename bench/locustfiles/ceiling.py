"""The ceiling: the cheapest request the app serves (`GET /healthz`, one `SELECT 1` through the
app's database session), as fast as the server answers. It bounds what any endpoint of this app
can reach on this machine with this server and load generator."""

from __future__ import annotations

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser


class Prober(FastHttpUser):
    wait_time = constant(0)

    @task
    def health(self) -> None:
        self.client.get("/healthz", name="healthz")
