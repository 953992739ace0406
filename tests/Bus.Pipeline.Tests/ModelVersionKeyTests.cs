using Bus.Contracts;

namespace Bus.Pipeline.Tests;

public class When_a_model_version_id_is_derived
{
    [Fact]
    public void Should_match_an_RFC_9562_version_5_uuid_that_any_language_can_compute()
    {
        // python3 -c "import uuid; print(uuid.uuid5(uuid.UUID('6f1c9a52-4e0b-5c8e-9a57-0b7d2c4e8f31'), 'digits/1'))"
        ModelVersionKey.For("digits", "1").Should().Be(Guid.Parse("33105345-a56e-5bad-91c5-f2a5cf5a7ede"));
    }

    [Fact]
    public void Should_keep_case() => ModelVersionKey.For("digits", "1").Should().NotBe(ModelVersionKey.For("Digits", "1"));

    [Fact]
    public void Should_refuse_an_empty_name() =>
        FluentActions.Invoking(() => ModelVersionKey.For("", "1")).Should().Throw<ArgumentException>();
}

public class When_a_model_name_or_version_breaks_the_rule
{
    [Theory]
    [InlineData("digits/9", "1")]
    [InlineData("digits", "9/1")]
    [InlineData("digits", "../1")]
    [InlineData("-digits", "1")]
    [InlineData("dig its", "1")]
    [InlineData("digits", "1\n2")]
    [InlineData("dígits", "1")]
    [InlineData("digits\n", "1")]
    [InlineData(" digits", "1")]
    [InlineData("digits", "c09\n")]
    [InlineData("digits", " c12 ")]
    [InlineData("digits", "1\t")]
    public void Should_refuse_it_with_the_rule(string name, string version) =>
        FluentActions.Invoking(() => ModelVersionKey.For(name, version)).Should().Throw<ArgumentException>().WithMessage($"*{ModelVersionKey.Rule}*");

    [Fact]
    public void Should_name_the_field_that_breaks_it()
    {
        FluentActions.Invoking(() => ModelVersionKey.For("digits", "1\n")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("modelVersion");
        FluentActions.Invoking(() => ModelVersionKey.For("digits ", "1")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("modelName");
    }

    [Fact]
    public void Should_refuse_a_name_longer_than_64() =>
        ModelVersionKey.Problem(new string('a', 65), "1").Should().Contain("modelName");

    [Fact]
    public void Should_accept_letters_digits_dots_underscores_and_dashes() =>
        ModelVersionKey.Problem("fraud-detector_v2.1", "2026-12-02.rc_1").Should().BeNull();
}
