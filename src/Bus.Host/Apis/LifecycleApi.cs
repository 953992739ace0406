using Bus.Contracts;
using Bus.Persistence;
using Bus.Persistence.Outbox;
using Bus.Pipeline;
using MassTransit;

namespace Bus.Host.Apis;

/// <summary>
/// /lifecycle/{name}/{version}: a version's status from the saga, and an operator's commands (rollback, approve, reject, rollout)
/// through the bus outbox.
/// </summary>
static class LifecycleApi
{
    public static IEndpointRouteBuilder MapLifecycleApi(this IEndpointRouteBuilder app)
    {
        var version = app.MapGroup("/lifecycle/{name}/{version}");
        version.MapGet("", StatusAsync);
        version.MapPost("/rollback", RollbackAsync).RequireAuthorization(SecurityExtensions.OperatorPolicy);
        version.MapPost("/approve", ApproveAsync).RequireAuthorization(SecurityExtensions.OperatorPolicy);
        version.MapPost("/reject", RejectAsync).RequireAuthorization(SecurityExtensions.OperatorPolicy);
        version.MapPost("/rollout/{action}", RolloutAsync).RequireAuthorization(SecurityExtensions.OperatorPolicy);
        return app;
    }

    static async Task<IResult> StatusAsync(string name, string version, IRequestClient<GetModelVersionStatus> client, CancellationToken cancellationToken)
    {
        if (ModelVersionKey.Problem(name, version) is { } problem)
            return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest);
        var id = ModelVersionKey.For(name, version);
        try
        {
            var response = await client.GetResponse<ModelVersionStatus, ModelVersionNotFound>(new GetModelVersionStatus { ModelVersionId = id },
                cancellationToken);
            return response.Is(out Response<ModelVersionStatus>? status)
                ? Results.Ok(status.Message)
                : Results.Problem($"{name} {version} is not known", statusCode: StatusCodes.Status404NotFound, extensions: new Dictionary<string, object?>
                {
                    ["id"] = id,
                });
        }
        catch (RequestTimeoutException)
        {
            return Results.Problem("the lifecycle saga did not answer in time", statusCode: 503);
        }
    }

    /// <summary>
    /// The command goes through the bus outbox, so once this returns 202 it is stored and will be delivered even if SNS is
    /// unreachable right now; the saga's answer shows in the version's timeline. The actor is the authenticated principal;
    /// what the body says of who asked is kept only as a note.
    /// </summary>
    static Task<IResult> RollbackAsync(string name, string version, DecisionRequest request, HttpContext http, IPublishEndpoint publish,
        BusUnitOfWork unitOfWork, SagaStore<ModelLifecycleState> store, ILogger<DecisionRequest> logger, CancellationToken cancellationToken) =>
        SendAsync(name, version, request, http, publish, unitOfWork, store, logger, "rollback requested",
            (id, reason, actor) => new RollbackModel { ModelVersionId = id, Reason = reason, RequestedBy = actor }, cancellationToken);

    /// <summary>Approves a version that awaits a human (the policy's RequireApproval); the saga refuses the producer's own approval.</summary>
    static Task<IResult> ApproveAsync(string name, string version, DecisionRequest request, HttpContext http, IPublishEndpoint publish,
        BusUnitOfWork unitOfWork, SagaStore<ModelLifecycleState> store, ILogger<DecisionRequest> logger, CancellationToken cancellationToken) =>
        SendAsync(name, version, request, http, publish, unitOfWork, store, logger, "approval requested",
            (id, reason, actor) => new ApproveModel { ModelVersionId = id, Reason = reason, ApprovedBy = actor }, cancellationToken);

    /// <summary>Steers a rollout in progress: pause, resume, promote (move the alias now) or abort (the champion keeps serving).</summary>
    static async Task<IResult> RolloutAsync(string name, string version, string action, DecisionRequest request, HttpContext http, IPublishEndpoint publish,
        BusUnitOfWork unitOfWork, SagaStore<ModelLifecycleState> store, ILogger<DecisionRequest> logger, CancellationToken cancellationToken) =>
        !RolloutActions.All.Contains(action)
            ? Results.Problem($"unknown rollout action '{action}' ({string.Join(", ", RolloutActions.All)})", statusCode: StatusCodes.Status400BadRequest)
            : await SendAsync(name, version, request, http, publish, unitOfWork, store, logger, $"rollout {action} requested",
                (id, reason, actor) => new RolloutCommand { ModelVersionId = id, Action = action, Reason = reason, RequestedBy = actor }, cancellationToken);

    static Task<IResult> RejectAsync(string name, string version, DecisionRequest request, HttpContext http, IPublishEndpoint publish,
        BusUnitOfWork unitOfWork, SagaStore<ModelLifecycleState> store, ILogger<DecisionRequest> logger, CancellationToken cancellationToken) =>
        SendAsync(name, version, request, http, publish, unitOfWork, store, logger, "rejection requested",
            (id, reason, actor) => new RejectModel { ModelVersionId = id, Reason = reason, RejectedBy = actor }, cancellationToken);

    /// <summary>
    /// The command goes through the bus outbox, so once this returns 202 it is stored and will be delivered even if SNS is
    /// unreachable right now; the saga's answer shows in the version's timeline. The actor is the authenticated principal;
    /// what the body says of who asked is kept only as a note.
    /// </summary>
    static async Task<IResult> SendAsync<T>(string name, string version, DecisionRequest request, HttpContext http, IPublishEndpoint publish,
        BusUnitOfWork unitOfWork, SagaStore<ModelLifecycleState> store, ILogger logger, string status, Func<Guid, string, string, T> command,
        CancellationToken cancellationToken)
        where T : class
    {
        if (ModelVersionKey.Problem(name, version) is { } problem)
            return Results.Problem(problem, statusCode: StatusCodes.Status400BadRequest);
        if (string.IsNullOrWhiteSpace(request.Reason))
            return Results.Problem("reason is required: every transition is audited", statusCode: StatusCodes.Status400BadRequest);
        var actor = http.User.PrincipalName();
        if (!await store.ExistsAsync(ModelVersionKey.For(name, version), cancellationToken))
        {
            // Refused at the door, as the saga refuses a command in the wrong state: said to the caller, and recorded.
            await RefusedRequests.RecordUnknownAsync(store, logger, name, version, typeof(T).Name, actor, status, cancellationToken);
            return Results.Problem($"{name} {version} is not a known model version", statusCode: StatusCodes.Status404NotFound);
        }

        var reason = string.IsNullOrWhiteSpace(request.RequestedBy) || request.RequestedBy == actor
            ? request.Reason : $"{request.Reason} (on behalf of {request.RequestedBy})";
        var id = ModelVersionKey.For(name, version);
        await publish.Publish(command(id, reason, actor), c => c.Headers.Set(AuditHeaders.ActorKind, AuditHeaders.Http), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return Results.Accepted($"/lifecycle/{name}/{version}", new { id, status, requestedBy = actor });
    }
}
