"""Small Selenium helpers shared by the browser tests."""


def element(driver, css, timeout=15.0):
    """The first element matching ``css``, waited for up to ``timeout`` seconds."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(expected_conditions.presence_of_element_located(("css selector", css)))


def click(driver, el):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", el)


def log_into_admin(driver, base, username="admin", password="admin"):
    """Log in at ``/sa/``; returns the dashboard's Mailchimp block (the page after the login)."""
    driver.get(base + "/sa/")
    element(driver, "input[name=username]").send_keys(username)
    driver.find_element("css selector", "input[name=password]").send_keys(password)
    click(driver, driver.find_element("css selector", "form button[type=submit]"))
    return element(driver, "#mailchimp-dashboard-block")
