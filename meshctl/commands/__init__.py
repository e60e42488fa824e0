"""The command layer: one module per command (meshctl.commands.root lists them), thin over the layers below."""
