using Microsoft.Extensions.Options;

namespace Bus.Pipeline.Tests;

public class When_the_promotion_policy_judges_metrics
{
    static readonly PromotionPolicy Policy = new(new PromotionPolicyOptions
    {
        Default = new PromotionRule
        {
            Metrics = new(StringComparer.OrdinalIgnoreCase)
            {
                ["accuracy"] = new MetricThreshold { Min = 0.9, MaxDecrease = 0.005 },
                ["logLoss"] = new MetricThreshold { Max = 0.5, MaxIncrease = 0.05 },
            },
        },
    });

    static Dictionary<string, double> M(double accuracy, double logLoss) => new() { ["accuracy"] = accuracy, ["logLoss"] = logLoss };

    [Fact]
    public void Should_approve_a_first_model_that_meets_the_absolute_bounds() =>
        Policy.Evaluate("digits", M(0.95, 0.2), champion: null).Approved.Should().BeTrue();

    [Fact]
    public void Should_name_every_bound_that_is_missed()
    {
        var decision = Policy.Evaluate("digits", M(0.85, 0.7), champion: null);
        decision.Approved.Should().BeFalse();
        decision.Violations.Select(v => (v.Metric, v.Kind)).Should().BeEquivalentTo(new[] { ("accuracy", "min"), ("logLoss", "max") });
    }

    [Fact]
    public void Should_compare_lower_is_better_metrics_upwards()
    {
        var decision = Policy.Evaluate("digits", M(0.95, 0.31), M(0.95, 0.25));
        decision.Violations.Should().ContainSingle(v => v.Metric == "logLoss" && v.Kind == "maxIncrease");
    }

    [Fact]
    public void Should_reject_when_a_required_metric_is_missing_or_NaN()
    {
        Policy.Evaluate("digits", new Dictionary<string, double> { ["accuracy"] = 0.95 }, null)
            .Violations.Should().ContainSingle(v => v.Metric == "logLoss" && v.Kind == "missing");
        Policy.Evaluate("digits", M(double.NaN, 0.1), null)
            .Violations.Should().ContainSingle(v => v.Metric == "accuracy" && v.Kind == "missing");
    }

    [Fact]
    public void Should_match_metric_names_case_insensitively() =>
        Policy.Evaluate("digits", new Dictionary<string, double> { ["Accuracy"] = 0.95, ["LOGLOSS"] = 0.1 }, null).Approved.Should().BeTrue();
}

public class When_lifecycle_options_are_invalid
{
    [Fact]
    public void Should_refuse_a_timeout_beyond_the_SQS_delay_limit()
    {
        var result = new ModelLifecycleOptionsValidator().Validate(null, new ModelLifecycleOptions { EvaluationTimeout = TimeSpan.FromMinutes(16) });
        result.Failed.Should().BeTrue();
        result.FailureMessage.Should().Contain("EvaluationTimeout").And.Contain("15");
    }

    [Fact]
    public void Should_refuse_a_threshold_without_bounds_and_bad_queue_names()
    {
        var options = new ModelLifecycleOptions { EvaluationQueue = "evaluate.model" };
        options.Promotion.Models["x"] = new PromotionRule { Metrics = new() { ["accuracy"] = new MetricThreshold() } };
        var result = new ModelLifecycleOptionsValidator().Validate(null, options);
        result.FailureMessage.Should().Contain("Models:x:Metrics:accuracy sets no bound").And.Contain("EvaluationQueue");
    }

    [Fact]
    public void Should_accept_the_defaults() =>
        new ModelLifecycleOptionsValidator().Validate(null, new ModelLifecycleOptions()).Should().Be(ValidateOptionsResult.Success);
}
