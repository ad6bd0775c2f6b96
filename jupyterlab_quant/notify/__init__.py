"""WeChat notifications (微信提醒): alerts → WeCom group robot, ServerChan, PushPlus, official-account
template messages and mini-program subscribe messages, with de-duplication, quiet hours, per-channel rate
limits, digests of held alerts, retries and a delivery log (通知中心).

Modules: ``base`` (Message, SendResult, Notifier/SecretSource protocols, RecordingNotifier), one module per
channel (``wecom``, ``serverchan``, ``pushplus``, ``wechat_mp``), ``http`` (JSON POST, error mapping, secret
scrubbing), ``channels`` (catalogue: options, secret fields, limits), ``throttle`` (limits as data),
``log`` (``state/notify.db``), ``config`` (``config/notify.json``), ``center`` (NotificationCenter),
``secrets`` (secret names, MemorySecrets). Secrets come from an injected ``SecretSource``; the vault-backed
one is ``jupyterlab_quant.vault.secrets.secret_source`` (this package never imports the vault).
"""
