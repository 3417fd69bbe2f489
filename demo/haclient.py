"""A small Home Assistant client: onboarding, tokens, REST and one-shot websocket commands."""

from __future__ import annotations

from typing import Any

import aiohttp

CLIENT_ID_PATH = "/"  # HA's own frontend uses the base URL as its OAuth client id


class HAError(RuntimeError):
    """Home Assistant answered something other than what the demo needs."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class HAClient:
    """Talks to one running Home Assistant at `base_url` (http://127.0.0.1:PORT)."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self.base_url = base_url.rstrip("/")
        self.access_token: str | None = None

    @property
    def client_id(self) -> str:
        """The OAuth client id the frontend would use."""
        return self.base_url + CLIENT_ID_PATH

    def _headers(self, token: str | None = None) -> dict[str, str]:
        token = token or self.access_token
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def ready(self) -> bool:
        """True once the HTTP server serves the frontend's manifest."""
        try:
            async with self._session.get(f"{self.base_url}/manifest.json") as resp:
                return resp.status == 200
        except aiohttp.ClientError:
            return False

    async def onboard_owner(self, name: str, username: str, password: str) -> None:
        """Create the owner through the onboarding user step and log in as them."""
        body = {
            "client_id": self.client_id,
            "name": name,
            "username": username,
            "password": password,
            "language": "en",
        }
        async with self._session.post(f"{self.base_url}/api/onboarding/users", json=body) as resp:
            if resp.status != 200:
                raise HAError(f"onboarding refused the owner: {resp.status} {await resp.text()}")
            auth_code = (await resp.json())["auth_code"]
        await self._exchange(auth_code)

    async def _exchange(self, auth_code: str) -> None:
        form = {"grant_type": "authorization_code", "code": auth_code, "client_id": self.client_id}
        async with self._session.post(f"{self.base_url}/auth/token", data=form) as resp:
            if resp.status != 200:
                raise HAError(f"token exchange failed: {resp.status} {await resp.text()}")
            self.access_token = (await resp.json())["access_token"]

    async def ws_command(self, command: dict[str, Any]) -> Any:
        """Run one websocket command with the access token and return its result."""
        url = self.base_url.replace("http", "ws", 1) + "/api/websocket"
        async with self._session.ws_connect(url) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.access_token})
            auth = await ws.receive_json()
            if auth.get("type") != "auth_ok":
                raise HAError(f"websocket auth failed: {auth}")
            await ws.send_json({"id": 1, **command})
            while True:
                msg = await ws.receive_json()
                if msg.get("id") == 1 and msg.get("type") == "result":
                    break
        if not msg.get("success"):
            raise HAError(f"websocket {command.get('type')} failed: {msg.get('error')}")
        return msg.get("result")

    async def long_lived_token(self, name: str) -> str:
        """A long-lived access token (what a REST sensor or curl uses)."""
        return str(
            await self.ws_command(
                {"type": "auth/long_lived_access_token", "client_name": name, "lifespan": 3650}
            )
        )

    async def _post(self, path: str, body: dict[str, Any], *, auth: bool = True) -> Any:
        headers = self._headers() if auth else {}
        async with self._session.post(self.base_url + path, json=body, headers=headers) as resp:
            text = await resp.text()
            if resp.status >= 400:
                raise HAError(f"POST {path}: {resp.status} {text}", resp.status)
            return await resp.json(content_type=None)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """Authenticated POST returning the JSON answer."""
        return await self._post(path, body)

    async def get(self, path: str, token: str | None = None) -> Any:
        """Authenticated GET returning the JSON answer."""
        async with self._session.get(self.base_url + path, headers=self._headers(token)) as resp:
            text = await resp.text()
            if resp.status >= 400:
                raise HAError(f"GET {path}: {resp.status} {text}", resp.status)
            return await resp.json(content_type=None)

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """The entity's state object, or None if HA does not know it."""
        try:
            result = await self.get(f"/api/states/{entity_id}")
        except HAError as err:
            if err.status == 404:
                return None
            raise
        return dict(result)

    async def call_service(self, domain: str, service: str, data: dict[str, Any]) -> Any:
        """Call an action (what a dashboard button does)."""
        return await self._post(f"/api/services/{domain}/{service}", data)
