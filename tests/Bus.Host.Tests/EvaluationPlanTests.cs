using Bus.Contracts;
using Bus.Stages.Evaluation;

namespace Bus.Host.Tests;

/// <summary>The evaluation policy alone: which set, which format and which task a request is evaluated on, or why it is refused.</summary>
public class When_the_evaluation_policy_plans_a_request
{
    static EvaluationOptions Options(Action<EvaluationPolicy>? digits = null)
    {
        var options = new EvaluationOptions { Scope = "prod" };
        if (digits is not null)
        {
            var own = new EvaluationPolicy();
            digits(own);
            options.Models["digits"] = own;
        }

        return options;
    }

    static EvaluateModel Request(string artifact = "s3://prod-bus-models/digits/7/model.json", string? set = null, string? task = null) => new()
    {
        ModelVersionId = Guid.NewGuid(),
        ModelName = "digits",
        ModelVersion = "7",
        Artifact = new ModelArtifact { Uri = artifact, Format = "tfjs-layers", Sha256 = new string('a', 64) },
        ValidationSetUri = set,
        Task = task,
        Attempt = 1,
    };

    [Fact]
    public void Should_use_the_governed_set_and_the_announced_task_by_default()
    {
        var plan = Options().For("digits").Plan(Request(set: "s3://prod-bus-datasets/digits/mine.json", task: EvaluationTasks.Binary));

        plan.Should().Be(new EvaluationPlan("s3://prod-bus-evaluation/digits/validation.json", false, "json", EvaluationTasks.Binary));
    }

    [Fact]
    public void Should_take_the_producers_set_only_where_the_policy_allows_it_and_within_its_locations()
    {
        var policy = Options(p => p.AllowProducerValidationSet = true).For("digits");

        policy.Plan(Request(set: "s3://prod-bus-datasets/digits/mine.csv")).Should()
            .Be(new EvaluationPlan("s3://prod-bus-datasets/digits/mine.csv", true, "csv", EvaluationTasks.Multiclass));
        policy.Invoking(p => p.Plan(Request(set: "s3://elsewhere/digits/mine.csv"))).Should().Throw<EvaluationRefusedException>()
            .WithMessage("the producer-supplied validation set s3://elsewhere/digits/mine.csv is outside the locations allowed for it*");
    }

    [Fact]
    public void Should_refuse_an_artifact_outside_its_locations()
    {
        Options().For("digits").Invoking(p => p.Plan(Request(artifact: "s3://prod-bus-models/digits-evil/7/model.json")))
            .Should().Throw<EvaluationRefusedException>().WithMessage("the artifact * is outside the locations allowed for it*");
    }

    [Fact]
    public void Should_refuse_a_task_that_contradicts_the_one_the_policy_fixes()
    {
        var policy = Options(p => p.Task = EvaluationTasks.Regression).For("digits");

        policy.Plan(Request()).Task.Should().Be(EvaluationTasks.Regression);
        policy.Invoking(p => p.Plan(Request(task: EvaluationTasks.Binary))).Should().Throw<EvaluationRefusedException>()
            .WithMessage("the announcement says task 'binary' but the evaluation policy of digits fixes 'regression'*");
    }

    [Fact]
    public void Should_refuse_a_set_whose_format_cannot_be_told()
    {
        var policy = Options(p => p.ValidationSetUri = "s3://{scope}bus-evaluation/{model}/validation.bin").For("digits");

        policy.Invoking(p => p.Plan(Request())).Should().Throw<EvaluationRefusedException>().WithMessage("*its format is not known from its extension*");
        Options(p => (p.ValidationSetUri, p.DataFormat) = ("s3://{scope}bus-evaluation/{model}/validation.bin", "npz")).For("digits")
            .Plan(Request()).Format.Should().Be("npz");
    }
}
