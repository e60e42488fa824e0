"""metav1.Status bodies shaped exactly as kube-apiserver writes them (apimachinery api/errors/errors.go)."""

from __future__ import annotations


class ApiError(Exception):
    """An error the fake answers with a Status body and HTTP code."""

    def __init__(self, status: dict):
        super().__init__(status["message"])
        self.status = status
        self.code = status["code"]


class KubeletError(Exception):
    """An error the kubelet answers in plain text (cri/streaming WriteError), proxied as is."""

    def __init__(self, code: int, text: str):
        super().__init__(text)
        self.code = code
        self.text = text


def container_not_running(container: str) -> KubeletError:
    """kubelet GetExec when the container is not running (pkg/kubelet/kubelet_pods.go findContainer)."""
    return KubeletError(500, f'container not found ("{container}")')


def _status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason}
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, name: str, group: str = "") -> ApiError:
    """errors.NewNotFound: `pods "x" not found`."""
    qualified = _qualified(resource, group)
    details = {"name": name, "kind": resource}
    if group:
        details["group"] = group
    return ApiError(_status(404, "NotFound", f'{qualified} "{name}" not found', details))


def forbidden(user: str, verb: str, resource: str, group: str, namespace: str | None, name: str | None,
              subresource: str | None = None) -> ApiError:
    """The RBAC authorizer's denial as the server phrases it (endpoints/handlers/responsewriters/errors.go)."""
    full = f"{resource}/{subresource}" if subresource else resource
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    reason = f'User "{user}" cannot {verb} resource "{full}" in API group "{group}" {scope}'
    qualified = _qualified(resource, group)
    subject = f'{qualified} "{name}"' if name else qualified
    details = {"kind": resource}
    if name:
        details = {"name": name, **details}
    if group:
        details["group"] = group
    return ApiError(_status(403, "Forbidden", f"{subject} is forbidden: {reason}", details))


def unauthorized() -> ApiError:
    return ApiError(_status(401, "Unauthorized", "Unauthorized"))


def bad_request(message: str) -> ApiError:
    return ApiError(_status(400, "BadRequest", message))


def not_found_path() -> ApiError:
    """A path no resource serves: the server answers 404 with reason NotFound and no details."""
    return ApiError(_status(404, "NotFound", "the server could not find the requested resource",
                            {}))


def protocol_mismatch(offered, supported) -> ApiError:
    """util/httpstream Handshake's refusal when no X-Stream-Protocol-Version matches."""
    return ApiError(_status(403, "Forbidden", f"unable to upgrade: unable to negotiate protocol: client supports "
                                              f"{list(offered)}, server supports {list(supported)}"))


def method_not_allowed(method: str) -> ApiError:
    return ApiError(_status(405, "MethodNotAllowed", f"the server does not allow this method on the requested resource ({method})", {}))


def exec_success() -> dict:
    """The status-channel document for exit code 0 (kubelet cri/streaming/remotecommand/exec.go)."""
    return {"metadata": {}, "status": "Success"}


def exec_exit_code(argv: list[str], code: int) -> dict:
    """The status-channel document for a non-zero exit, with the code in details.causes[0].message."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command {_go_slice(argv)}, exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def exec_internal_error(message: str) -> dict:
    """The status-channel document when the runtime cannot start the command (binary missing, ...)."""
    full = f"error executing command in container: {message}"
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"Internal error occurred: {full}",
        "reason": "InternalError",
        "details": {"causes": [{"message": full}]},
        "code": 500,
    }


def _go_slice(argv: list[str]) -> str:
    # containerd formats the command with %v: [sh -c exit 3]
    return "[" + " ".join(argv) + "]"
