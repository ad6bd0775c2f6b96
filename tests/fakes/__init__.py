"""Local fakes of outside services for tests (``wechat_server``: every WeChat push channel)."""
