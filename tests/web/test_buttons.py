"""The button URL builder: placeholders, never a password."""
import pytest

from bridge.web.buttons import ButtonChoice, ButtonError, button_url


def test_url_template_has_placeholders_and_no_password():
    url = button_url(ButtonChoice(host="bridge.example.com/", username="front desk",
                                  fields=("Email", "SubTotal"), lines=2))
    assert url.startswith("https://bridge.example.com/?apiusername=front%20desk&apipassword={PASSWORD}")
    assert "CustomerID={CustomerID}&Email={Email}&SubTotal={SubTotal}" in url
    assert url.endswith("UPC2={UPC2}&Description2={Description2}&Qty2={Qty2}")
    assert "FirstName" not in url and "UPC3" not in url


def test_tilde_login_store_and_refund():
    url = button_url(ButtonChoice(host="http://10.0.0.5:8080", username="demo",
                                  login_style="tilde", store="north", lines=1, refund=True))
    assert url.startswith("http://10.0.0.5:8080/?login=demo~{PASSWORD}&Store=north&")
    assert url.endswith("&Refund=1")


@pytest.mark.parametrize("choice, field", [
    (ButtonChoice(host="", username="x"), "host"),
    (ButtonChoice(host="ftp://x", username="x"), "host"),
    (ButtonChoice(host="x.com", username=" "), "username"),
    (ButtonChoice(host="x.com", username="x", lines=0), "lines"),
])
def test_bad_choices_name_the_field(choice, field):
    with pytest.raises(ButtonError) as e:
        button_url(choice)
    assert e.value.field == field
