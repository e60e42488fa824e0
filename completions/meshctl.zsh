#compdef meshctl

_meshctl_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _MESHCTL_COMPLETE=complete_zsh meshctl)
}

compdef _meshctl_completion meshctl
