using Bus.Contracts;
using Bus.Shared;

namespace Bus.Stages.Tagging;

sealed class TaggingOptionsValidator : OptionsValidator<TaggingOptions>
{
    protected override IEnumerable<string> Failures(TaggingOptions options)
    {
        foreach (var (model, uri) in options.Datasets)
        {
            if (!ModelVersionKey.IsValid(model))
                yield return $"{TaggingOptions.SectionName}:Datasets may name only valid model names; got '{model}'.";
            if (!S3Uri.IsValid(uri))
                yield return $"{TaggingOptions.SectionName}:Datasets:{model} must be an s3:// URI; got '{uri}'.";
        }
    }
}
