"""Post-processing of the OpenAPI schema (drf-spectacular): the error answers every operation
can give, so a client (and schemathesis) knows them. Each has the same body: {"detail": "..."}
or field errors {"field": ["message", ...]}."""

ERROR_SCHEMA = {
    "type": "object",
    "description": '{"detail": "why"} or field errors {"field": ["why", ...]}',
    "additionalProperties": True,
}

WHY = {
    "400": "Invalid input: field errors, or a detail (malformed JSON, a NUL character, "
    "nesting deeper than 16 levels, a time without its offset).",
    "401": "Not signed in: no token, or an expired or revoked one.",
    "403": "Signed in, but the role may not do this.",
    "404": "No such object in the caller's clinics (another clinic's answers 404 too).",
    "405": "Method not allowed.",
    "409": "Conflict with what is stored: a submission id reused for other content.",
    "413": "Request body over 256 KiB.",
    "415": "Not JSON: the API takes application/json only.",
    "429": "Too many requests.",
    "503": "The answer is withheld: its audit event could not be written. Retry.",
}


def document_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            # 404: an object not in the caller's clinics, or a page past the end of a list.
            codes = {"400", "401", "403", "404", "405", "429", "503"}
            if method in {"post", "put", "patch"}:
                codes |= {"409", "413", "415"}
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(
                    code,
                    {
                        "description": WHY[code],
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result
