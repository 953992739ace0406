using System.Text;
using Bus.Transport.AmazonSqs.Sns;

namespace Bus.Transport.AmazonSqs.Tests;

/// <summary>Checked against the examples AWS publishes for Signature Version 4 (credentials AKIDEXAMPLE).</summary>
public class When_a_request_is_signed_with_SigV4
{
    const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    [Fact]
    public void Should_derive_the_published_signing_key() =>
        Convert.ToHexStringLower(SigV4Signer.DeriveSigningKey(Secret, "20150830", "us-east-1", "iam"))
            .Should().Be("c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");

    [Fact]
    public void Should_produce_the_published_signature_of_the_IAM_ListUsers_example()
    {
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["content-type"] = "application/x-www-form-urlencoded; charset=utf-8",
            ["host"] = "iam.amazonaws.com",
            ["x-amz-date"] = "20150830T123600Z",
        };
        var canonical = SigV4Signer.CanonicalRequest("GET", new Uri("https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08"), headers,
            "content-type;host;x-amz-date", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))
            .Should().Be("f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");

        var stringToSign = SigV4Signer.StringToSign("20150830T123600Z", "20150830/us-east-1/iam/aws4_request", canonical);
        var signature = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            SigV4Signer.DeriveSigningKey(Secret, "20150830", "us-east-1", "iam"), Encoding.UTF8.GetBytes(stringToSign)));
        signature.Should().Be("5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
    }

    [Fact]
    public void Should_sign_the_get_vanilla_request_of_the_test_suite()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://example.amazonaws.com/");

        SigV4Signer.Sign(request, [], new SigningCredentials("AKIDEXAMPLE", Secret), "us-east-1", "service",
            new DateTimeOffset(2015, 8, 30, 12, 36, 0, TimeSpan.Zero));

        request.Headers.Authorization!.ToString().Should().Be(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, " +
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    }

    [Fact]
    public void Should_encode_like_RFC_3986() =>
        SigV4Signer.UriEncode("a b+c/d~e*").Should().Be("a%20b%2Bc%2Fd~e%2A");
}
