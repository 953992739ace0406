namespace Bus.Host.Apis;

/// <summary>The body of <c>POST /models/{name}/feedback</c>: a prediction's id and its true label (a class index, or the value for one output).</summary>
public sealed record FeedbackRequest(Guid PredictionId, double? Label);
